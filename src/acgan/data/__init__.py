"""The faces: colour vocabulary, tags.csv, dataset folders and their cache, the data doctor, and the
built-in procedural faces with their palette.

Owns: Vocabulary (vocab.py), reading tags.csv (tags.py), FaceData and the uint8 -> float step
(faces.py), decoding a folder (folder.py) through the cache (cache.py), the built-in faces
(builtin.py, procedural.py, palette.py) and `acgan data check` (doctor.py).
May import: numpy, torch, Pillow, acgan.errors. Nothing else of acgan.
"""
