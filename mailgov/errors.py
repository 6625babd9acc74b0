"""The errors the package raises: each says what is wrong, where, and what to do."""


class RosterError(ValueError):
    """Every problem found in a roster or a policy, each with its place."""

    def __init__(self, problems):
        self.problems = list(problems)
        count = len(self.problems)
        head = "1 problem" if count == 1 else f"{count} problems"
        super().__init__(f"{head}:\n" + "\n".join(f"  - {p}" for p in self.problems))


class DirectoryError(RuntimeError):
    """The directory could not be reached, searched or written (mailgov.ldap)."""


class TransitionError(ValueError):
    """An account cannot go from its state to the one asked for (mailgov.state); the message says why."""


class PlanError(ValueError):
    """The directory cannot be brought to match the roster (mailgov.directory_plan); nothing is written."""
