"""Exceptions rel gives a meaning to."""


class AbortBranch(Exception):
    """Raised by rel.abort_branch(): ends the running callback, and only it.

    The event loop (and rel.thread()) swallow it, so it never reaches dispatch().
    """
