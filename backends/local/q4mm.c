/* y = x @ W.T with W in 4 bits (groups of 32 along the reduction, scale and low per group) and each
 * row of x quantised to 8 bits per group of 32 (scale max|x|/127): integer dot products, as llama.cpp
 * multiplies its Q4_1 weights by Q8_1 activations; and (q8_matmul, at the end) the same with 8-bit
 * weights, as llama.cpp multiplies Q8_0 blocks.
 *
 * Why a kernel of our own: torch's `_weight_int4pack_mm_for_cpu` turns every weight into a float and
 * does one float multiply-add per weight and row, so each row of a draft block costs nearly what the
 * first one does. Here a weight block is unpacked once for up to CHUNK rows, and a row's products are 8-bit
 * integer dot products: 4 (AVX2: 2) times as many per instruction.
 *
 * Exactness: a row's result must not depend on the other rows of the call (speculative output must
 * equal plain decoding). Each row is quantised on its own, its integer sums are exact, and its float
 * operations run in one fixed order per output lane whatever the number of rows, so a row computes
 * bit for bit the same alone or inside a block.
 *
 * Layout (packed once at load by kernels.py): outputs in blocks of LANES (16 with AVX-512 VNNI, else
 * 8); per block, per group of 32, per pair of 4-input quads, LANES x 4 bytes whose low nibbles hold
 * the first quad's values and high nibbles the second's (lane-major: byte 4 * lane + j is input j of
 * the quad for that lane's output). Scales and lows: per block, per group, LANES bf16 values (20 bytes
 * per 32 weights in all).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#if defined(__AVX2__)
#include <immintrin.h>
#endif

#define GROUP 32
#if defined(__AVX512VNNI__) && defined(__AVX512BW__)
#define LANES 16
#else
#define LANES 8
#endif
#define MAX_ROWS 16
/* block_rows_n takes rows in chunks of up to CHUNK, each chunk's count a constant where it is inlined (the
 * dispatchers block_rows, block_rows8): the compiler then keeps the rows' accumulators in registers, which
 * with a count known only at run time live in memory (+5-12% a decode step, more for draft blocks). A
 * chunk reads its weights once: 8 rows fit AVX-512's 32 registers, 4 AVX2's 16. */
#if LANES == 16
#define CHUNK 8
#else
#define CHUNK 4
#endif
#define ROWS_N static inline __attribute__((always_inline)) void

int q4_lanes(void) { return LANES; }

static inline float bf16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

#if defined(__AVX512F__)
static inline __m512 load_bf16x16(const uint16_t *p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p)), 16));
}
#endif
#if defined(__AVX2__)
static inline __m256 load_bf16x8(const uint16_t *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
}
#endif

static inline uint16_t float_to_bf16(float f) {
    uint32_t bits;
    memcpy(&bits, &f, 4);
    bits += 0x7FFF + ((bits >> 16) & 1); /* round to nearest even */
    return (uint16_t)(bits >> 16);
}

/* One row: int8 values, and per group the scale and scale * sum of the values (ds), or the sum itself
 * (is, for the 8-bit product); either may be NULL. */
static void quantise_row(const uint16_t *x, int k, int8_t *q, float *d, float *ds, int32_t *is) {
    for (int g = 0; g < k / GROUP; g++) {
        float v[GROUP], amax = 0.0f;
        for (int i = 0; i < GROUP; i++) {
            v[i] = bf16_to_float(x[g * GROUP + i]);
            float a = fabsf(v[i]);
            amax = a > amax ? a : amax;
        }
        float scale = amax / 127.0f, inv = amax > 0.0f ? 127.0f / amax : 0.0f;
        int sum = 0;
        for (int i = 0; i < GROUP; i++) {
            int value = (int)nearbyintf(v[i] * inv);
            q[g * GROUP + i] = (int8_t)value;
            sum += value;
        }
        d[g] = scale;
        if (ds) ds[g] = scale * (float)sum;
        if (is) is[g] = sum;
    }
}

#if LANES == 16
/* AVX-512 VNNI: 16 outputs x 4 inputs per dot-product instruction. */
static inline void unpack(const uint8_t *w, int g, __m512i wv[8]) { /* a group's 8 quads, one byte a weight */
    const __m512i nib = _mm512_set1_epi8(0x0F);
    for (int p = 0; p < 4; p++) {
        __m512i packed = _mm512_loadu_si512((const void *)(w + ((size_t)g * 4 + p) * 64));
        wv[2 * p] = _mm512_and_si512(packed, nib);
        wv[2 * p + 1] = _mm512_and_si512(_mm512_srli_epi16(packed, 4), nib);
    }
}

ROWS_N block_rows_n(const uint8_t *w, const uint16_t *scale, const uint16_t *low, int groups, const int8_t *q,
                    const float *d, const float *ds, const int rows, int k, float *out /* [rows][16] */) {
    __m512 acc[CHUNK];
    for (int r = 0; r < rows; r++) acc[r] = _mm512_setzero_ps();
    for (int g = 0; g < groups; g++) {
        __m512i wv[8], isum[CHUNK];
        unpack(w, g, wv);
        const __m512 sv = load_bf16x16(scale + g * 16), lv = load_bf16x16(low + g * 16);
        const int8_t *qg = q + g * GROUP;
        for (int r = 0; r < rows; r++) isum[r] = _mm512_setzero_si512();
        for (int j = 0; j < 8; j++) /* the rows' chains side by side */
            for (int r = 0; r < rows; r++)
                isum[r] = _mm512_dpbusd_epi32(isum[r], wv[j], _mm512_set1_epi32(((const int32_t *)(qg + (size_t)r * k))[j]));
        for (int r = 0; r < rows; r++) {
            __m512 part = _mm512_mul_ps(_mm512_cvtepi32_ps(isum[r]), _mm512_set1_ps(d[r * groups + g]));
            acc[r] = _mm512_fmadd_ps(part, sv, acc[r]);
            acc[r] = _mm512_fmadd_ps(lv, _mm512_set1_ps(ds[r * groups + g]), acc[r]);
        }
    }
    for (int r = 0; r < rows; r++) _mm512_storeu_ps(out + r * 16, acc[r]);
}
#elif defined(__AVX2__)
/* AVX2: 8 outputs x 4 inputs per pair of instructions (u8 x s8 -> s16 pairs, summed in 16 bits over a
 * group: at most 8 x 2 x 15 x 127 = 30,480, no overflow; then widened to 32 bits once). */
static inline __m256i dot_quads(__m256i wv, __m256i x) { return _mm256_maddubs_epi16(wv, x); }

static inline void unpack(const uint8_t *w, int g, __m256i wv[8]) { /* a group's 8 quads, one byte a weight */
    const __m256i nib = _mm256_set1_epi8(0x0F);
    for (int p = 0; p < 4; p++) {
        __m256i packed = _mm256_loadu_si256((const __m256i *)(w + ((size_t)g * 4 + p) * 32));
        wv[2 * p] = _mm256_and_si256(packed, nib);
        wv[2 * p + 1] = _mm256_and_si256(_mm256_srli_epi16(packed, 4), nib);
    }
}

ROWS_N block_rows_n(const uint8_t *w, const uint16_t *scale, const uint16_t *low, int groups, const int8_t *q,
                    const float *d, const float *ds, const int rows, int k, float *out /* [rows][8] */) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[CHUNK];
    for (int r = 0; r < rows; r++) acc[r] = _mm256_setzero_ps();
    for (int g = 0; g < groups; g++) {
        __m256i wv[8];
        unpack(w, g, wv);
        const __m256 sv = load_bf16x8(scale + g * 8), lv = load_bf16x8(low + g * 8);
        for (int r = 0; r < rows; r++) {
            const int32_t *xq = (const int32_t *)(q + (size_t)r * k + g * GROUP);
            __m256i even = dot_quads(wv[0], _mm256_set1_epi32(xq[0])), odd = dot_quads(wv[1], _mm256_set1_epi32(xq[1]));
            for (int j = 2; j < 8; j += 2) { /* two chains: half the latency */
                even = _mm256_add_epi16(even, dot_quads(wv[j], _mm256_set1_epi32(xq[j])));
                odd = _mm256_add_epi16(odd, dot_quads(wv[j + 1], _mm256_set1_epi32(xq[j + 1])));
            }
            __m256i isum = _mm256_madd_epi16(_mm256_add_epi16(even, odd), ones);
            __m256 part = _mm256_mul_ps(_mm256_cvtepi32_ps(isum), _mm256_set1_ps(d[r * groups + g]));
            acc[r] = _mm256_fmadd_ps(part, sv, acc[r]);
            acc[r] = _mm256_fmadd_ps(lv, _mm256_set1_ps(ds[r * groups + g]), acc[r]);
        }
    }
    for (int r = 0; r < rows; r++) _mm256_storeu_ps(out + r * 8, acc[r]);
}
#else
/* Portable C: the same sums in the same order. */
ROWS_N block_rows_n(const uint8_t *w, const uint16_t *scale, const uint16_t *low, int groups, const int8_t *q,
                    const float *d, const float *ds, const int rows, int k, float *out) {
    for (int r = 0; r < rows; r++) {
        for (int lane = 0; lane < LANES; lane++) {
            float acc = 0.0f;
            for (int g = 0; g < groups; g++) {
                int32_t isum = 0;
                for (int p = 0; p < 4; p++) {
                    const uint8_t *bytes = w + ((size_t)g * 4 + p) * LANES * 4 + lane * 4;
                    const int8_t *x = q + (size_t)r * k + g * GROUP + p * 8;
                    for (int j = 0; j < 4; j++) isum += (bytes[j] & 0x0F) * x[j] + (bytes[j] >> 4) * x[4 + j];
                }
                float part = (float)isum * d[r * groups + g];
                acc = fmaf(part, bf16_to_float(scale[g * LANES + lane]), acc);
                acc = fmaf(bf16_to_float(low[g * LANES + lane]), ds[r * groups + g], acc);
            }
            out[r * LANES + lane] = acc;
        }
    }
}
#endif

static void block_rows(const uint8_t *w, const uint16_t *scale, const uint16_t *low, int groups, const int8_t *q,
                       const float *d, const float *ds, int rows, int k, float *out) {
    for (int r0 = 0; r0 < rows; r0 += CHUNK) {
        const int8_t *qc = q + (size_t)r0 * k;
        const float *dc = d + (size_t)r0 * groups, *dsc = ds + (size_t)r0 * groups;
        float *oc = out + r0 * LANES;
        switch (rows - r0 < CHUNK ? rows - r0 : CHUNK) {
        case 1: block_rows_n(w, scale, low, groups, qc, dc, dsc, 1, k, oc); break;
        case 2: block_rows_n(w, scale, low, groups, qc, dc, dsc, 2, k, oc); break;
        case 3: block_rows_n(w, scale, low, groups, qc, dc, dsc, 3, k, oc); break;
#if CHUNK == 8
        case 4: block_rows_n(w, scale, low, groups, qc, dc, dsc, 4, k, oc); break;
        case 5: block_rows_n(w, scale, low, groups, qc, dc, dsc, 5, k, oc); break;
        case 6: block_rows_n(w, scale, low, groups, qc, dc, dsc, 6, k, oc); break;
        case 7: block_rows_n(w, scale, low, groups, qc, dc, dsc, 7, k, oc); break;
#endif
        default: block_rows_n(w, scale, low, groups, qc, dc, dsc, CHUNK, k, oc); break;
        }
    }
}

/* y[rows][n] (bf16) = x[rows][k] (bf16) @ W.T; w, scale, low as packed by kernels.py. work: scratch of
 * rows * k bytes then 2 * rows * k / 32 floats. Rows go through in chunks of MAX_ROWS. */
void q4_matmul(const uint16_t *x, int rows, int k, const uint8_t *w, const uint16_t *scale, const uint16_t *low, int n,
               uint16_t *y, void *work, int threads) {
    const int groups = k / GROUP, blocks = n / LANES;
    int8_t *q = (int8_t *)work;
    float *d = (float *)(q + (size_t)rows * k), *ds = d + (size_t)rows * groups;
    for (int r = 0; r < rows; r++) quantise_row(x + (size_t)r * k, k, q + (size_t)r * k, d + r * groups, ds + r * groups, NULL);
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int b = 0; b < blocks; b++) {
        float out[MAX_ROWS * LANES];
        for (int r0 = 0; r0 < rows; r0 += MAX_ROWS) {
            int m = rows - r0 < MAX_ROWS ? rows - r0 : MAX_ROWS;
            block_rows(w + (size_t)b * groups * GROUP * LANES / 2, scale + (size_t)b * groups * LANES,
                       low + (size_t)b * groups * LANES, groups, q + (size_t)r0 * k, d + (size_t)r0 * groups,
                       ds + (size_t)r0 * groups, m, k, out);
            for (int r = 0; r < m; r++)
                for (int lane = 0; lane < LANES; lane++)
                    y[(size_t)(r0 + r) * n + b * LANES + lane] = float_to_bf16(out[r * LANES + lane]);
        }
    }
}

/* ---- 8-bit weights (the output projection on the int4 path) -------------------------------------
 * y = x @ W.T with W symmetric 8-bit per group of 32 (w = scale * q, q in -127..127: the GGUF's Q8_0),
 * x quantised as above. Layout: outputs in blocks of LANES; per block, per group, per quad of 4
 * inputs, LANES x 4 signed bytes (lane-major, as the 4-bit layout once unpacked); scales per block,
 * per group, LANES bf16 values. Per row and group: isum exact in integers, then
 * acc = fma(isum * d_x, scale, acc), in that order whatever the number of rows. */
#if LANES == 16
/* VNNI multiplies unsigned by signed bytes: the weights are flipped to q + 128 (one xor per 64 bytes,
 * shared by all rows) and each row's integer sum starts from -128 * sum(x). */
ROWS_N block_rows8_n(const int8_t *w, const uint16_t *scale, int groups, const int8_t *q, const float *d,
                     const int32_t *xsum, const int rows, int k, float *out /* [rows][16] */) {
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    __m512 acc[CHUNK];
    for (int r = 0; r < rows; r++) acc[r] = _mm512_setzero_ps();
    for (int g = 0; g < groups; g++) {
        __m512i wv[8], isum[CHUNK];
        for (int j = 0; j < 8; j++)
            wv[j] = _mm512_xor_si512(_mm512_loadu_si512((const void *)(w + ((size_t)g * 8 + j) * 64)), flip);
        const __m512 sv = load_bf16x16(scale + g * 16);
        const int8_t *qg = q + g * GROUP;
        for (int r = 0; r < rows; r++) isum[r] = _mm512_set1_epi32(-128 * xsum[r * groups + g]);
        for (int j = 0; j < 8; j++)
            for (int r = 0; r < rows; r++)
                isum[r] = _mm512_dpbusd_epi32(isum[r], wv[j], _mm512_set1_epi32(((const int32_t *)(qg + (size_t)r * k))[j]));
        for (int r = 0; r < rows; r++) {
            __m512 part = _mm512_mul_ps(_mm512_cvtepi32_ps(isum[r]), _mm512_set1_ps(d[r * groups + g]));
            acc[r] = _mm512_fmadd_ps(part, sv, acc[r]);
        }
    }
    for (int r = 0; r < rows; r++) _mm512_storeu_ps(out + r * 16, acc[r]);
}
#elif defined(__AVX2__)
/* AVX2 (as llama.cpp multiplies Q8_0 blocks): |w| unsigned times x with w's sign, in 16-bit pairs (at
 * most 2 x 127 x 127, no saturation), widened to 32 bits per quad. */
ROWS_N block_rows8_n(const int8_t *w, const uint16_t *scale, int groups, const int8_t *q, const float *d,
                     const int32_t *xsum, const int rows, int k, float *out /* [rows][8] */) {
    (void)xsum;
    const __m256i ones = _mm256_set1_epi16(1);
    __m256 acc[CHUNK];
    for (int r = 0; r < rows; r++) acc[r] = _mm256_setzero_ps();
    for (int g = 0; g < groups; g++) {
        __m256i wv[8], wabs[8];
        for (int j = 0; j < 8; j++) {
            wv[j] = _mm256_loadu_si256((const __m256i *)(w + ((size_t)g * 8 + j) * 32));
            wabs[j] = _mm256_sign_epi8(wv[j], wv[j]);
        }
        const __m256 sv = load_bf16x8(scale + g * 8);
        for (int r = 0; r < rows; r++) {
            const int32_t *xq = (const int32_t *)(q + (size_t)r * k + g * GROUP);
            __m256i even = _mm256_setzero_si256(), odd = _mm256_setzero_si256();
            for (int j = 0; j < 8; j += 2) {
                __m256i a = _mm256_maddubs_epi16(wabs[j], _mm256_sign_epi8(_mm256_set1_epi32(xq[j]), wv[j]));
                __m256i b = _mm256_maddubs_epi16(wabs[j + 1], _mm256_sign_epi8(_mm256_set1_epi32(xq[j + 1]), wv[j + 1]));
                even = _mm256_add_epi32(even, _mm256_madd_epi16(a, ones));
                odd = _mm256_add_epi32(odd, _mm256_madd_epi16(b, ones));
            }
            __m256 part = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_add_epi32(even, odd)), _mm256_set1_ps(d[r * groups + g]));
            acc[r] = _mm256_fmadd_ps(part, sv, acc[r]);
        }
    }
    for (int r = 0; r < rows; r++) _mm256_storeu_ps(out + r * 8, acc[r]);
}
#else
ROWS_N block_rows8_n(const int8_t *w, const uint16_t *scale, int groups, const int8_t *q, const float *d,
                     const int32_t *xsum, const int rows, int k, float *out) {
    (void)xsum;
    for (int r = 0; r < rows; r++) {
        for (int lane = 0; lane < LANES; lane++) {
            float acc = 0.0f;
            for (int g = 0; g < groups; g++) {
                int32_t isum = 0;
                for (int j = 0; j < 8; j++) {
                    const int8_t *bytes = w + ((size_t)g * 8 + j) * LANES * 4 + lane * 4;
                    const int8_t *x = q + (size_t)r * k + g * GROUP + j * 4;
                    for (int i = 0; i < 4; i++) isum += bytes[i] * x[i];
                }
                float part = (float)isum * d[r * groups + g];
                acc = fmaf(part, bf16_to_float(scale[g * LANES + lane]), acc);
            }
            out[r * LANES + lane] = acc;
        }
    }
}
#endif

static void block_rows8(const int8_t *w, const uint16_t *scale, int groups, const int8_t *q, const float *d,
                        const int32_t *xsum, int rows, int k, float *out) {
    for (int r0 = 0; r0 < rows; r0 += CHUNK) {
        const int8_t *qc = q + (size_t)r0 * k;
        const float *dc = d + (size_t)r0 * groups;
        const int32_t *xc = xsum + (size_t)r0 * groups;
        float *oc = out + r0 * LANES;
        switch (rows - r0 < CHUNK ? rows - r0 : CHUNK) {
        case 1: block_rows8_n(w, scale, groups, qc, dc, xc, 1, k, oc); break;
        case 2: block_rows8_n(w, scale, groups, qc, dc, xc, 2, k, oc); break;
        case 3: block_rows8_n(w, scale, groups, qc, dc, xc, 3, k, oc); break;
#if CHUNK == 8
        case 4: block_rows8_n(w, scale, groups, qc, dc, xc, 4, k, oc); break;
        case 5: block_rows8_n(w, scale, groups, qc, dc, xc, 5, k, oc); break;
        case 6: block_rows8_n(w, scale, groups, qc, dc, xc, 6, k, oc); break;
        case 7: block_rows8_n(w, scale, groups, qc, dc, xc, 7, k, oc); break;
#endif
        default: block_rows8_n(w, scale, groups, qc, dc, xc, CHUNK, k, oc); break;
        }
    }
}

/* y[rows][n] (bf16) = x[rows][k] (bf16) @ W.T, W 8-bit as above. work: rows * k bytes then 2 * rows *
 * k / 32 four-byte values (the same size as q4_matmul's). */
void q8_matmul(const uint16_t *x, int rows, int k, const int8_t *w, const uint16_t *scale, int n, uint16_t *y,
               void *work, int threads) {
    const int groups = k / GROUP, blocks = n / LANES;
    int8_t *q = (int8_t *)work;
    float *d = (float *)(q + (size_t)rows * k);
    int32_t *xsum = (int32_t *)(d + (size_t)rows * groups);
    for (int r = 0; r < rows; r++)
        quantise_row(x + (size_t)r * k, k, q + (size_t)r * k, d + r * groups, NULL, xsum + r * groups);
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int b = 0; b < blocks; b++) {
        float out[MAX_ROWS * LANES];
        for (int r0 = 0; r0 < rows; r0 += MAX_ROWS) {
            int m = rows - r0 < MAX_ROWS ? rows - r0 : MAX_ROWS;
            block_rows8(w + (size_t)b * groups * GROUP * LANES, scale + (size_t)b * groups * LANES, groups,
                        q + (size_t)r0 * k, d + (size_t)r0 * groups, xsum + (size_t)r0 * groups, m, k, out);
            for (int r = 0; r < m; r++)
                for (int lane = 0; lane < LANES; lane++)
                    y[(size_t)(r0 + r) * n + b * LANES + lane] = float_to_bf16(out[r * LANES + lane]);
        }
    }
}

static inline float round_bf16(float f) { return bf16_to_float(float_to_bf16(f)); }

/* y = x / sqrt(mean(x^2) + eps) * w, row by row (RMSNorm): bf16 in and out, float32 weight and sums. With
 * round_first 0, transformers' Gemma formula and torch's rms_norm of the float32 row: the product rounded to
 * bf16 once. With round_first 1, its Llama formula: the normalised row rounded to bf16, then scaled by w
 * (a bf16 weight) and rounded again. The sum of squares runs in another order than torch's reduction, so
 * a value may differ from torch's by one bf16 step where the scale lands on a rounding boundary. Torch
 * spends eight operations on one norm (casts, reductions, products): ~20 us each, ~1.3 ms of a SmolLM2
 * step in its 61 norms; here one call. */
void rms_norm(const uint16_t *x, const float *w, int rows, int n, float eps, int round_first, uint16_t *y) {
    for (int r = 0; r < rows; r++) {
        const uint16_t *xr = x + (size_t)r * n;
        uint16_t *yr = y + (size_t)r * n;
        float ss = 0.0f;
        for (int i = 0; i < n; i++) {
            float v = bf16_to_float(xr[i]);
            ss += v * v;
        }
        float s = 1.0f / sqrtf(ss / (float)n + eps);
        if (round_first)
            for (int i = 0; i < n; i++) yr[i] = float_to_bf16(round_bf16(bf16_to_float(xr[i]) * s) * w[i]);
        else
            for (int i = 0; i < n; i++) yr[i] = float_to_bf16(bf16_to_float(xr[i]) * s * w[i]);
    }
}

/* Rotary embedding: y = x * cos + roll(x, dim / 2) * sin_signed (the decoder's apply_rope), each product and
 * the sum rounded to bf16 as torch's three bf16 operations round them, so bit for bit torch's (elementwise,
 * no sums to reorder). x, y [heads][t][dim] bf16; cos, sin [t][dim] bf16. Torch spends about eight
 * operations on one (the roll is two slices and a concatenation), two a layer. */
void rope(const uint16_t *x, int heads, int t, int dim, const uint16_t *cos, const uint16_t *sin, uint16_t *y) {
    const int half = dim / 2;
    for (int h = 0; h < heads; h++)
        for (int r = 0; r < t; r++) {
            const uint16_t *xr = x + ((size_t)h * t + r) * dim, *c = cos + (size_t)r * dim, *s = sin + (size_t)r * dim;
            uint16_t *yr = y + ((size_t)h * t + r) * dim;
            for (int i = 0; i < dim; i++) {
                const int j = i < half ? i + half : i - half;
                float a = round_bf16(bf16_to_float(xr[i]) * bf16_to_float(c[i]));
                float b = round_bf16(bf16_to_float(xr[j]) * bf16_to_float(s[i]));
                yr[i] = float_to_bf16(a + b);
            }
        }
}

/* A decode step's attention inputs in one call (the decoder's torch operations: two cache writes through
 * slices and a transpose, q cast, scaled and transposed): k [kv_heads][t][dim] and v (strided: head stride
 * vh, row stride vt) bf16 are stored as float32 at slots pos.. of the key cache [kv_heads][dim][slots]
 * (transposed) and the value cache [kv_heads][slots][dim]; q [heads][t][dim] bf16 becomes
 * qout[t][heads][dim] = float(q) * scale. Conversions are exact and the product is torch's float32 one. */
void store_kv_q(const uint16_t *k, const uint16_t *v, long vh, long vt, const uint16_t *q, int heads, int kv_heads,
                int t, int dim, float *keys, float *values, int slots, int pos, float scale, float *qout) {
    for (int h = 0; h < kv_heads; h++)
        for (int r = 0; r < t; r++) {
            const uint16_t *kr = k + ((size_t)h * t + r) * dim, *vr = v + h * vh + r * vt;
            float *vc = values + ((size_t)h * slots + pos + r) * dim;
            for (int i = 0; i < dim; i++) {
                keys[((size_t)h * dim + i) * slots + pos + r] = bf16_to_float(kr[i]);
                vc[i] = bf16_to_float(vr[i]);
            }
        }
    for (int h = 0; h < heads; h++)
        for (int r = 0; r < t; r++) {
            const uint16_t *qr = q + ((size_t)h * t + r) * dim;
            float *o = qout + ((size_t)r * heads + h) * dim;
            for (int i = 0; i < dim; i++) o[i] = bf16_to_float(qr[i]) * scale;
        }
}
