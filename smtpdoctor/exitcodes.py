from enum import IntEnum


class ExitCode(IntEnum):
    """Documented process exit codes; scripts and CI key on them."""

    OK = 0
    PROBLEMS = 1  # at least one error finding (with --strict: a warning too)
    USAGE = 2  # bad usage or unreadable input
    INTERRUPTED = 130  # 128 + SIGINT
    BROKEN_PIPE = 141  # 128 + SIGPIPE: the reader of our output went away (`| head -1`); nothing printed
