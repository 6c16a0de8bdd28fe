"""The quiz file: its model, a line-aware YAML reader, the checks and their messages.

- `model`: pydantic models of a quiz file and of the skill catalogue (the file's shape).
- `reader`: YAML parsed with the line of every value, refusing what YAML would hide.
- `messages`: problems at their lines; pydantic's errors worded for instructors.
- `checks`: everything that needs the whole file (passages, ids, skills, limits).
- `claim_checks`: the optional claim list against the items that name its claims.
- `lint`: item-writing checks (cues to the key, missing feedback and judgements).
- `schema`: the JSON Schema for editors.

Pure: nothing here reads files or imports the database or Telegram.
"""
