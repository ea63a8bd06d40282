"""The faces: colour vocabulary, tags.csv, dataset folders and their cache, the data doctor, and the
built-in procedural faces with their palette.

Owns: Vocabulary (vocab.py), text files as people's tools write them (text.py), reading tags.csv
(tags.py), FaceData and the uint8 -> float step (face_data.py), decoding a dataset folder
(dataset.py) through the cache (cache.py), any image as 8-bit RGB (pixels.py), the built-in faces
(builtin.py, procedural.py, palette.py) and `acgan data check` (doctor.py).
May import: numpy, torch, Pillow, acgan.errors, acgan.atomic. Nothing else of acgan.
"""
