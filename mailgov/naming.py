"""Addresses from names, following a policy's templates and collision rules."""

import re
from collections import defaultdict

from . import text
from .policy import NAME_TOKENS, UNIT_TYPES, compile_template, fill

RESERVED = "(reserved)"


def _initial(word):
    """A word's part of an abbreviation: its first letter, or all of an acronym or number."""
    folded = text.ascii_word(word)
    if folded.isdigit() or (len(word) > 1 and word.isupper()):
        return folded
    return folded[:1]


def _strip_leading(words, phrases):
    """Drop leading words that match any phrase (compared without case or tone placement)."""
    keys = [text.word_key(w) for w in words]
    start, changed = 0, True
    while changed:
        changed = False
        for phrase in phrases:
            if keys[start:start + len(phrase)] == phrase and start + len(phrase) < len(keys):
                start += len(phrase)
                changed = True
    return words[start:]


def _phrases(items):
    return [[text.word_key(w) for w in text.words(text.clean(item))] for item in items]


class Namer:
    """Derives unit and person addresses under one checked policy."""

    def __init__(self, policy):
        self.policy = policy
        names = policy["names"]
        self.skip = {text.word_key(w) for w in names["skip_words"]}
        self.short_max = names["short_max_words"]
        self.place_prefixes = _phrases(names["place_prefixes"])
        self.unit_rules = {}
        for unit_type, rule in policy["units"].items():
            self.unit_rules[unit_type] = (
                [compile_template(t) for t in rule["address"]],
                compile_template(rule["suffix"]),
                _phrases(rule.get("drop_leading") or []),
            )
        person = policy["person"]
        self.person_address = compile_template(person["address"])
        self.person_name = compile_template(person["name"])
        self.suffix_from = tuple(person["suffix_from"])
        self.first_holder_keeps = person["first_holder_keeps"]
        self.steps = [(compile_template(s["name"]), s.get("when"), "{n}" in s["name"])
                      for s in person["collision"]]
        self._people_unit_tokens = {}
        templates = [person["address"], person["name"]] + [s["name"] for s in person["collision"]]
        used = {token for t in templates for _, token in compile_template(t) if token}
        self.name_tokens = sorted(used & NAME_TOKENS - {"middle_last"})

    # Units ------------------------------------------------------------------

    def unit_tokens(self, unit):
        """Name its tokens and suffix; its parents must have theirs already."""
        _, suffix_rule, drop = self.unit_rules[unit.type]
        all_words = text.words(unit.name)
        kept = _strip_leading(all_words, drop) or all_words
        initials = "".join(_initial(w) for w in kept if text.word_key(w) not in self.skip)
        whole = "".join(text.ascii_word(w) for w in kept)
        place = "".join(text.ascii_word(w) for w in _strip_leading(all_words, self.place_prefixes))
        tokens = {
            "abbr": unit.abbr or initials,
            "short": unit.abbr or (whole if len(kept) <= self.short_max else initials),
            "place": unit.abbr or place,
            "parent": None,
        }
        for unit_type in UNIT_TYPES:
            tokens[unit_type] = None
        for ancestor in reversed(unit.chain[1:]):
            tokens[ancestor.type] = ancestor.suffix
        if len(unit.chain) > 1:
            tokens["parent"] = unit.chain[1].suffix
        unit.tokens = tokens
        unit.suffix = fill(suffix_rule, tokens)

    def unit_local_part(self, unit):
        for template in self.unit_rules[unit.type][0]:
            local = fill(template, unit.tokens)
            if local is not None:
                return local
        return None

    # People -----------------------------------------------------------------

    def _unit_tokens_for_people(self, unit):
        """What a person's unit adds to their tokens; the same for everyone in it."""
        cached = self._people_unit_tokens.get(unit.id)
        if cached is None:
            chain = unit.chain
            cached = {
                "unit": unit.suffix,
                "suffix": next((u.suffix for u in chain if u.type in self.suffix_from), chain[-1].suffix),
            }
            for unit_type in UNIT_TYPES:
                cached[unit_type] = next((u.suffix for u in chain if u.type == unit_type), None)
            self._people_unit_tokens[unit.id] = cached
        return cached

    def person_tokens(self, person):
        ascii_word = text.ascii_word
        surname = [ascii_word(w) for w in person.surname]
        middle = [ascii_word(w) for w in person.middle]
        given = [ascii_word(w) for w in person.given]
        tokens = dict(self._unit_tokens_for_people(person.unit))
        tokens["birth_year"] = person.birth_year
        tokens["middle_last"] = middle[-1] if middle else None
        # Only the tokens the policy's templates use: rendering 30,000 people adds up.
        for token in self.name_tokens:
            if token == "given":
                tokens[token] = "".join(given)
            elif token == "surname":
                tokens[token] = "".join(surname)
            elif token == "middle":
                tokens[token] = "".join(middle)
            elif token == "full":
                tokens[token] = "".join(ascii_word(w) for w in person.words)
            elif token == "given_initials":
                tokens[token] = "".join(w[:1] for w in given)
            elif token == "surname_initials":
                tokens[token] = "".join(w[:1] for w in surname)
            elif token == "middle_initials":
                tokens[token] = "".join(w[:1] for w in middle)
            elif token == "middle_rest_initials":
                tokens[token] = "".join(w[:1] for w in middle[:-1])
        return tokens

    def base_address(self, person):
        """The address the name form gives the person in their unit, before any collision step."""
        tokens = self.person_tokens(person)
        name = fill(self.person_name, tokens)
        return None if name is None else self._address(tokens, name)

    def gives(self, person, local, limit=99):
        """True when ``local`` is a form the rules give the person: the name form, or one of
        its collision forms (numbered up to ``limit``), whoever else holds them."""
        tokens = self.person_tokens(person)
        base = fill(self.person_name, tokens)
        if base is None:
            return False
        tokens["base"] = base
        if local == self._address(tokens, base):
            return True
        for step in self.steps:
            for count, candidate in enumerate(self._step_candidates(tokens, step)):
                if candidate == local:
                    return True
                if count >= limit:
                    break
        return False

    def fits_unit(self, person, local):
        """True when ``local`` has what the address template takes from the person's unit
        (``quynhhtn.stttt`` fits any unit with the suffix ``stttt``): the name part may be any
        form, so a collision form fits too."""
        tokens = self.person_tokens(person)
        pattern = []
        for literal, token in self.person_address:
            pattern.append(re.escape(literal))
            if token == "name":
                pattern.append(".+")
            elif token is not None:
                if tokens.get(token) is None:
                    return False
                pattern.append(re.escape(tokens[token]))
        return re.fullmatch("".join(pattern), local) is not None

    def _address(self, tokens, name):
        tokens["name"] = name
        return fill(self.person_address, tokens)

    def _candidate(self, tokens, step, n=None):
        template, _, _ = step
        tokens["n"] = None if n is None else str(n)
        name = fill(template, tokens)
        return None if name is None else self._address(tokens, name)

    def resolve_people(self, newcomers, taken, holders):
        """Give each newcomer a free address; ``taken`` maps local part -> owner id.

        ``holders`` maps an owner id to the person, to compare full names.
        Returns {person id: local part}.
        """
        assigned = {}
        state = []
        for person in newcomers:
            tokens = self.person_tokens(person)
            base_name = fill(self.person_name, tokens)
            tokens["base"] = base_name
            state.append((person, tokens, self._address(tokens, base_name)))
        if self.first_holder_keeps:
            for person, tokens, base in state:
                local = self._first_free(person, tokens, base, taken, holders)
                assigned[person.id] = local
                if local is not None:
                    taken[local] = person.id
        else:
            self._resolve_together(state, taken, holders, assigned)
        return assigned

    def _step_candidates(self, tokens, step):
        _, _, sequence = step
        if not sequence:
            yield self._candidate(self._named(tokens), step)
            return
        n = 2
        while True:
            candidate = self._candidate(self._named(tokens), step, n)
            if candidate is None:
                return
            yield candidate
            n += 1

    @staticmethod
    def _named(tokens):
        # Collision templates use {name} for the person's base name form.
        tokens = dict(tokens)
        tokens["name"] = tokens["base"]
        return tokens

    @staticmethod
    def _distinct(person, others):
        """True when no one else in ``others`` has the same full name."""
        person.key = person.key or text.name_key(person.name)
        for other in others:
            if other is None or other is person:
                continue
            other.key = other.key or text.name_key(other.name)
            if other.key == person.key:
                return False
        return True

    def _first_free(self, person, tokens, base, taken, holders):
        if base is not None and base not in taken:
            return base
        holder = holders.get(taken.get(base))
        for step in self.steps:
            if step[1] == "different_full_names" and not self._distinct(person, [holder]):
                continue
            for candidate in self._step_candidates(tokens, step):
                if candidate is not None and candidate not in taken:
                    return candidate
        return None

    def _resolve_together(self, state, taken, holders, assigned):
        """Newcomers who collide with each other all move on to the next form."""
        groups = defaultdict(list)
        for entry in state:
            groups[entry[2]].append(entry)
        pending, rivals = [], {}
        for base, group in groups.items():
            if len(group) == 1 and base not in taken:
                person = group[0][0]
                assigned[person.id] = base
                taken[base] = person.id
                continue
            people = [e[0] for e in group] + [holders.get(taken.get(base))]
            for entry in group:
                rivals[entry[0].id] = people
                pending.append(entry)
        for step in self.steps:
            if not pending:
                break
            if step[2]:
                for person, tokens, _ in pending:
                    local = next((c for c in self._step_candidates(tokens, step)
                                  if c not in taken), None)
                    assigned[person.id] = local
                    if local is not None:
                        taken[local] = person.id
                pending = []
                break
            candidates = defaultdict(list)
            for entry in pending:
                person, tokens, _ = entry
                if step[1] == "different_full_names" and not self._distinct(person, rivals[person.id]):
                    continue
                candidate = self._candidate(self._named(tokens), step)
                if candidate is not None:
                    candidates[candidate].append(entry)
            for candidate, group in candidates.items():
                if len(group) == 1 and candidate not in taken:
                    person = group[0][0]
                    assigned[person.id] = candidate
                    taken[candidate] = person.id
            pending = [e for e in pending if e[0].id not in assigned]
