"""Drawing faces from a trained generator, and the pictures and files made of them.

Owns: the rules every way of drawing shares, which the page is sent (contract.py); what a seed means, its noise and
its "random" colours (seeds.py); what runs the network (runners.py: Runner, TorchRunner, OnnxRunner); how the Python
API's arguments are checked, with the CLI's rules (arguments.py); FaceGenerator and `load` (generator.py); images
from tensors (images.py: grids, resizing, PNG and GIF encoding); the metadata a picture carries and reading it back
(records.py); the one path from faces to picture files' bytes (pictures.py); the files the CLI writes (outputs.py);
the ONNX export (export.py); and the model shipped in the package (shipped.py).
May import: acgan.errors, acgan.atomic, acgan.data, acgan.nets, acgan.run.
"""
