"""Training: from settings to a run folder full of checkpoints.

Owns: the settings and the recipe table (settings.py), the losses as pure functions (losses.py), the
augmentations D sees (augment.py), Adam with its guard against non-finite steps (optim.py), one
training step and its state (step.py), how a step runs on this machine (engine.py: device, precision,
compilation, DDP), the health watch (health.py), checkpoints as training writes them
(checkpointer.py), the loop (loop.py) and the entry points train() and resume() (trainer.py).
May import: acgan.errors, acgan.atomic, acgan.data, acgan.nets, acgan.run, acgan.sample, acgan.judge.
"""
