/* Attention of a few queries over a float32 KV cache, for the decoder's decode steps and draft
   blocks. Every query is computed by the same code in the same order whatever else shares the call,
   so a token gets bit-identical results alone or inside a draft block (decoder.py relies on this).
   Built once per machine by native.py: cc -O3 -march=native -DDIM=<head_dim> (-fopenmp where the compiler
   has it: the (row, head) pairs of a call then run on torch's threads). */
#include <stdint.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#ifndef DIM
#error "compile with -DDIM=<head dim>, a multiple of 16"
#endif
#define W 16          /* floats per vector */
#define NV (DIM / W)  /* vectors per head */
#define CHUNK 8       /* key blocks scored together */
#define SETS (NV < 4 ? 4 : 16 / NV > 1 ? 16 / NV : 1)  /* partial sums of the weighted values */
typedef float vec __attribute__((vector_size(W * sizeof(float))));
typedef int32_t ivec __attribute__((vector_size(W * sizeof(int32_t))));

static inline vec load(const float *p) { vec x; memcpy(&x, p, sizeof x); return x; }
static inline void store(float *p, vec x) { memcpy(p, &x, sizeof x); }
static inline vec splat(float a) { return (vec){0} + a; }

static inline float hsum(vec x) {  /* in a fixed order */
    float a[W];
    memcpy(a, &x, sizeof a);
    for (int w = W / 2; w > 0; w /= 2)
        for (int i = 0; i < w; i++) a[i] += a[i + w];
    return a[0];
}

static inline vec vexp(vec x) {  /* exp(x) for x <= 0 (Cephes' expf polynomial), 0 below -87 */
    ivec low = x < -87.0f;
    x = (vec)(((ivec)x & ~low) | ((ivec)splat(-87.0f) & low));
    vec n = __builtin_convertvector(__builtin_convertvector(x * 1.44269504088896341f - 0.5f, ivec), vec);
    vec r = x - n * 0.693359375f + n * 2.12194440e-4f;
    vec p = splat(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    ivec bits = (__builtin_convertvector(n, ivec) + 127) << 23;
    vec scale;
    memcpy(&scale, &bits, sizeof scale);
    return (vec)((ivec)(p * scale) & ~low);
}

/* s[j] = q . key(first + j) for j < count (and up to a chunk beyond: keys are padded), 16 keys at a
   time: each one a sum over DIM in order */
static void score(const float *q, const float *kt, int64_t stride, int64_t first, int64_t count, float *s) {
    for (int64_t j = 0; j < count; j += CHUNK * W) {
        vec acc[CHUNK] = {0};
        for (int d = 0; d < DIM; d++) {
            const float *row = kt + d * stride + first + j;
            for (int b = 0; b < CHUNK; b++) acc[b] += q[d] * load(row + b * W);
        }
        for (int b = 0; b < CHUNK; b++) store(s + j + b * W, acc[b]);
    }
}

/* q: [rows, heads, DIM], already scaled. kt: one layer's keys, transposed: [kv_heads, DIM, stride]
   (stride >= the cache's positions + 128). v: its values, [kv_heads, stride, DIM]. out: [rows, heads,
   DIM]. Row r attends to keys start[r] .. end[r]-2, then key last[r] (its own: end[r]-1, or the slot
   where a sibling's key was put). scratch: `threads` times `stride` floats. Each (row, head) pair is one
   task, computed alone whichever thread runs it. */
void attend(const float *q, const float *kt, const float *v, float *out, const int64_t *start,
            const int64_t *end, const int64_t *last, int rows, int heads, int kv_heads, int64_t stride,
            float *scratch, int threads) {
    int group = heads / kv_heads;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int task = 0; task < rows * heads; task++) {
        /* a kv head's queries (every row, every head of its group) one after another: its keys and values
           stay in the core's cache between them */
        int per = rows * group, r = task % per / group, h = task / per * group + task % group;
        int64_t n = end[r] - start[r], span = (n + W - 1) / W * W;
        const float *kc = kt + (int64_t)(h / group) * DIM * stride, *vc = v + (int64_t)(h / group) * stride * DIM;
        const float *qh = q + ((int64_t)r * heads + h) * DIM;
#ifdef _OPENMP
        float *s = scratch + (int64_t)omp_get_thread_num() * stride;
#else
        float *s = scratch;
        (void)threads;
#endif
        score(qh, kc, stride, start[r], n - 1, s);
        float own = 0.0f;
        for (int d = 0; d < DIM; d++) own += qh[d] * kc[d * stride + last[r]];
        s[n - 1] = own;
        float m = s[0];
        for (int64_t j = 1; j < n; j++) m = s[j] > m ? s[j] : m;
        for (int64_t j = n; j < span; j++) s[j] = -1e30f;
        vec total = {0};
        for (int64_t j = 0; j < span; j += W) {
            vec e = vexp(load(s + j) - m);
            store(s + j, e);
            total += e;
        }
        /* weighted values: SETS partial sums over keys j = u mod SETS, then the rest in order */
        vec acc[SETS][NV] = {0};
        int64_t j = 0;
        for (; j + SETS < n; j += SETS)
            for (int u = 0; u < SETS; u++) {
                const float *vj = vc + (start[r] + j + u) * DIM;
                for (int i = 0; i < NV; i++) acc[u][i] += s[j + u] * load(vj + i * W);
            }
        for (int u = 1; u < SETS; u++)
            for (int i = 0; i < NV; i++) acc[0][i] += acc[u][i];
        for (; j < n; j++) {
            const float *vj = vc + (j + 1 < n ? start[r] + j : last[r]) * DIM;
            for (int i = 0; i < NV; i++) acc[0][i] += s[j] * load(vj + i * W);
        }
        vec inv = splat(1.0f / hsum(total));
        float *o = out + ((int64_t)r * heads + h) * DIM;
        for (int i = 0; i < NV; i++) store(o + i * W, acc[0][i] * inv);
    }
}
