"""Drawing faces from a trained generator, and the pictures and files made of them.

Owns: what a face is (faces.py: seed -> noise, "random" colours), FaceGenerator and `load` (generator.py),
pictures (images.py: grids, PNG bytes, morph GIFs and strips), the metadata they carry (records.py),
the CLI's output files (outputs.py) and the ONNX export and runner (export.py).
May import: acgan.errors, acgan.data, acgan.nets, acgan.run.
"""
