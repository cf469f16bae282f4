"""The one exception tree of Switchpoint.

    SwitchpointError            a bug of ours, or anything unforeseen (500, "internal error", nothing more)
    ├── RequestError            the client sent something we refuse (4xx)
    │   ├── InvalidRequest      bad JSON, failed validation (names the field), unsupported option
    │   ├── UnknownModel        the requested model or alias does not exist
    │   ├── NotFound            no such route, logged request, rule version, proposal or key (404)
    │   ├── MethodNotAllowed    a route that exists, asked with the wrong method (405)
    │   ├── RequestTimeout      the request's head or body did not arrive in time (408)
    │   ├── BodyTooLarge        body over the configured limit (413)
    │   ├── HeadersTooLarge     headers over the limit, in size or number (431)
    │   ├── AuthError           missing or wrong key (401)
    │   ├── RateLimited         a key's budget or rate limit, or a full local queue (429)
    │   └── NoBackendAvailable  no backend in the chain can serve what the request needs (503)
    ├── Unavailable             a store the gateway needs is unreachable (503, Retry-After)
    │   ├── KeyStoreUnavailable the key index cannot be loaded
    │   └── LimitsUnavailable   a key's limits cannot be checked (shared state down)
    ├── BackendError            a backend failed; `retryable` says whether fallback may try the next one
    │   ├── BackendConnectError connection refused, DNS, TLS
    │   ├── BackendTimeout      connect, first-byte or total timeout
    │   ├── BackendStatusError  upstream answered 4xx/5xx (status, retry_after)
    │   │   └── BackendRejectedRequest  the upstream or its SDK refused the client's input (400, never
    │   │                               retried, never counted toward cooldowns)
    │   └── BackendProtocolError upstream sent something we cannot parse (malformed JSON or SSE)
    └── ConfigError             the configuration is invalid (lists each error with its field path)

Backends map their transport's errors (httpx, litellm, torch) to these types; the router turns any
error into the caller's status, headers and body in one place (router/http_errors.py).
"""

from __future__ import annotations


class SwitchpointError(Exception):
    status = 500
    type = "internal_error"
    code: str | None = None

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


class RequestError(SwitchpointError):
    status = 400
    type = "invalid_request_error"


class InvalidRequest(RequestError):
    code = "invalid_request"


class UnknownModel(RequestError):
    status = 404
    code = "model_not_found"


class NotFound(RequestError):
    status = 404
    type = "not_found_error"

    def __init__(self, message: str, *, code: str = "not_found", param: str | None = None) -> None:
        super().__init__(message, param=param)
        self.code = code


class MethodNotAllowed(RequestError):
    status = 405
    code = "method_not_allowed"


class RequestTimeout(RequestError):
    status = 408
    code = "request_timeout"


class BodyTooLarge(RequestError):
    status = 413
    code = "request_too_large"


class HeadersTooLarge(RequestError):
    status = 431
    code = "request_header_fields_too_large"


class AuthError(RequestError):
    status = 401
    type = "authentication_error"
    code = "invalid_api_key"


class RateLimited(RequestError):
    status = 429
    type = "rate_limit_error"
    code = "rate_limit_exceeded"

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class NoBackendAvailable(RequestError):
    status = 503
    type = "service_unavailable"
    code = "no_backend_available"


class Unavailable(SwitchpointError):
    status = 503
    type = "service_unavailable"
    code = "unavailable"

    def __init__(self, message: str, *, retry_after: float | None = 5.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class KeyStoreUnavailable(Unavailable):
    code = "key_store_unavailable"


class LimitsUnavailable(Unavailable):
    """A key with limits while the shared state (Redis) is unreachable: refused, not let through
    unmetered. Keys without limits keep working."""

    code = "limits_unavailable"


class BackendError(SwitchpointError):
    status = 502
    type = "upstream_error"
    code = "upstream_error"
    retryable = True

    def __init__(self, message: str, *, backend: str = "") -> None:
        super().__init__(message)
        self.backend = backend


class BackendConnectError(BackendError):
    code = "upstream_connect_error"


class BackendTimeout(BackendError):
    status = 504
    code = "upstream_timeout"


class BackendStatusError(BackendError):
    code = "upstream_status"

    def __init__(
        self,
        message: str,
        *,
        backend: str = "",
        upstream_status: int = 500,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, backend=backend)
        self.upstream_status = upstream_status
        self.retry_after = retry_after
        # 429 and 5xx may succeed elsewhere; another 4xx means the request itself is wrong.
        self.retryable = upstream_status == 429 or upstream_status >= 500 or upstream_status in (401, 403, 404, 408)


class BackendRejectedRequest(BackendStatusError):
    """The request itself is wrong, as the backend (or its SDK, before sending anything) found: the
    client's error in the client's shape, not a sign of the backend's health."""

    type = "invalid_request_error"
    code = "invalid_request"

    def __init__(self, message: str, *, backend: str = "", upstream_status: int = 400) -> None:
        super().__init__(message, backend=backend, upstream_status=upstream_status)
        self.retryable = False


class BackendProtocolError(BackendError):
    code = "upstream_protocol_error"


class ConfigError(SwitchpointError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("invalid configuration:\n" + "\n".join(f"  {e}" for e in errors))
        self.errors = errors
