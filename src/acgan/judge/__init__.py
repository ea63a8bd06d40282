"""Judging generated faces: does a generator obey its colours, look real, vary?

Owns: the tagger, an independent colour classifier trained on real faces (tagger.py), and its ONNX export for a
static page (tagger_export.py); metrics as pure functions of arrays (metrics.py); the evaluation of a generator
against real faces (evaluate.py);
what it needs of the real faces, stored beside a packed model so it can run without them (reference.py);
the colours read back from any picture, and the faces whose colours read back as asked (readback.py);
its report files (report.py); and `acgan eval` end to end (eval_run.py).
May import: acgan.errors, acgan.atomic, acgan.data, acgan.nets, acgan.run, acgan.sample.
"""
