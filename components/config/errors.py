"""ConfigError: every problem of a stack's configuration, each with its key path, in one error."""

import pulumi


class ConfigError(pulumi.RunError):
    """Invalid stack configuration. Lists every problem, one per line, each with its key path."""

    def __init__(self, problems: list[str]):
        self.problems = tuple(problems)
        listing = "\n".join(f"  - {problem}" for problem in problems)
        count = f"{len(problems)} problem{'' if len(problems) == 1 else 's'}"
        super().__init__(f"invalid groundwork configuration ({count}):\n{listing}")
