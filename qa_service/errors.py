"""Refusals the service answers with a 4xx and a reason; raised by the domain modules,
turned into `{"detail": ...}` responses by the app."""

from __future__ import annotations


class ServiceError(Exception):
    """`detail` is the English reason the API answers with. Raised as a message with
    %(name)s placeholders and their values, the pages show it in the reader's language
    (the message is the gettext msgid; string values are translated too when the catalog
    has them, so mark them with `i18n.N_`)."""

    status = 400

    def __init__(self, detail: str, **params: object) -> None:
        self.message = detail
        self.params = params
        self.detail = detail % params if params else detail
        super().__init__(self.detail)


class AuthError(ServiceError):
    status = 401


class PaymentRequired(ServiceError):
    """Not enough credits for something that costs them."""
    status = 402


class Forbidden(ServiceError):
    status = 403


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class TooLarge(ServiceError):
    status = 413


class UnsupportedMediaType(ServiceError):
    status = 415


class Invalid(ServiceError):
    status = 422


class RateLimited(ServiceError):
    status = 429

    def __init__(self, detail: str, retry_after: int, **params: object) -> None:
        super().__init__(detail, **params)
        self.retry_after = retry_after


class BadGateway(ServiceError):
    """A server the service depends on (the author's model) failed or answered nonsense."""
    status = 502


class GatewayTimeout(BadGateway):
    status = 504
