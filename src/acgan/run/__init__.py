"""A run on disk: its folder (settings, log, samples) and its checkpoints.

Owns: the run folder's layout, creating and finding one, config.json and log.jsonl (folder.py), the lock
that keeps one writer per run folder (lock.py), and checkpoints with their typed, validated record
(checkpoint.py).
May import: acgan.version, acgan.errors, acgan.atomic, acgan.data, acgan.nets.
"""
