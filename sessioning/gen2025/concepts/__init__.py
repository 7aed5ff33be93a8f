"""The concepts an authenticate-then-create flow needs: one class per concept, its spec in its docstring."""

from .authentication import FAST_HASHER, UserAuthenticationConcept
from .requesting import RequestingConcept, RequestTimeout
from .sessioning import SessioningConcept

__all__ = ["SessioningConcept", "UserAuthenticationConcept", "RequestingConcept", "RequestTimeout", "FAST_HASHER"]
