"""The one error the roster engine raises: every problem found, each with its place."""


class RosterError(ValueError):
    def __init__(self, problems):
        self.problems = list(problems)
        count = len(self.problems)
        head = "1 problem" if count == 1 else f"{count} problems"
        super().__init__(f"{head}:\n" + "\n".join(f"  - {p}" for p in self.problems))
