"""Files only root reads, holding a JSON mapping: the import's carried hashes and old logins.

Written whole (a temporary file, then renamed), so that a reader never sees half of one.
"""

import json
import os


def read(path):
    """The mapping in path; {} when there is no file."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return {}


def write(path, data, mode=0o600):
    tmp = f"{path}.tmp"
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode), "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1, sort_keys=True)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def merge(path, update, mode=0o600):
    """path's mapping with update merged over it; True when that changed the file."""
    current = read(path)
    merged = {**current, **update}
    if merged == current and os.path.exists(path):
        return False
    write(path, merged, mode)
    return True
