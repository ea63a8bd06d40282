"""Adam whose every number lives on the device, and which skips a step whose gradients are not finite.

One update is a handful of foreach kernels and never reads a value back to the host, so the same code
runs eagerly, inside `torch.compile(fullgraph=True)`, and inside a captured CUDA graph: the step count,
the learning rate, the loss scale and the skip flag are all tensors. (torch.optim.Adam with a GradScaler
does the same maths but breaks a compiled graph at every step and reads the scaler's flags on the host.)

Precision: in fp16 the loss is multiplied by a dynamic scale before backward (halved after a non-finite
step, doubled after `GROWTH_INTERVAL` finite ones); in fp32 and bf16 the scale stays 1 and only the skip
remains.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

INITIAL_LOSS_SCALE = 2.0**14
GROWTH_INTERVAL = 2000  # finite fp16 steps in a row before the loss scale doubles


class GuardedAdam:
    """Adam over `params` (the one optimizer of one network) with an on-device guard against bad steps."""

    def __init__(self, params: Sequence[torch.Tensor], lr: float, betas: tuple[float, float], eps: float = 1e-8,
                 loss_scaling: bool = False) -> None:
        self.params: list[torch.Tensor] = list(params)
        device = self.params[0].device
        self.beta1, self.beta2, self.eps = betas[0], betas[1], eps
        self.lr = torch.tensor(float(lr), device=device)
        self.count = torch.zeros((), device=device)  # updates applied so far (skipped steps do not count)
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        self.loss_scaling = loss_scaling
        self.loss_scale = torch.tensor(INITIAL_LOSS_SCALE if loss_scaling else 1.0, device=device)
        self.finite_run = torch.zeros((), device=device)  # finite steps since the scale last changed

    def step(self, loss: torch.Tensor) -> torch.Tensor:
        """Backward into these parameters alone, then one update unless a gradient is not finite.

        Returns 1.0 (a device tensor) when the step was skipped, else 0.0."""
        for p in self.params:
            p.grad = None
        (loss * self.loss_scale if self.loss_scaling else loss).backward(inputs=self.params)
        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in self.params]
        skipped = (~torch.stack(torch._foreach_norm(grads)).sum().isfinite()).float()
        if self.loss_scaling:
            torch._foreach_mul_(grads, self.loss_scale.reciprocal())
            self._update_loss_scale(skipped)
        self._update(grads, skipped)
        for p in self.params:
            p.grad = None
        return skipped

    @torch.no_grad()
    def _update(self, grads: list[torch.Tensor], skipped: torch.Tensor) -> None:
        taken = 1.0 - skipped
        # A skipped step must leave every number as it was: its gradients become zeros and every change
        # below is multiplied by `taken`, so nothing non-finite reaches the state.
        grads = [torch.where(skipped.bool(), 0.0, g) for g in grads]
        self.count.add_(taken)
        steps = self.count.clamp(min=1.0)
        correction1 = 1.0 - self.beta1**steps
        correction2 = 1.0 - self.beta2**steps
        towards_mean = torch._foreach_sub(grads, self.exp_avg)
        torch._foreach_mul_(towards_mean, (1.0 - self.beta1) * taken)
        torch._foreach_add_(self.exp_avg, towards_mean)
        towards_square = torch._foreach_mul(grads, grads)
        torch._foreach_sub_(towards_square, self.exp_avg_sq)
        torch._foreach_mul_(towards_square, (1.0 - self.beta2) * taken)
        torch._foreach_add_(self.exp_avg_sq, towards_square)
        denominator = torch._foreach_sqrt(self.exp_avg_sq)
        torch._foreach_div_(denominator, correction2.sqrt())
        torch._foreach_add_(denominator, self.eps)
        change = list(torch._foreach_div(self.exp_avg, denominator))
        torch._foreach_mul_(change, -self.lr * taken / correction1)
        torch._foreach_add_(self.params, change)

    @torch.no_grad()
    def _update_loss_scale(self, skipped: torch.Tensor) -> None:
        grown = self.finite_run + 1 >= GROWTH_INTERVAL
        self.loss_scale.copy_(torch.where(skipped.bool(), self.loss_scale * 0.5,
                                          torch.where(grown, self.loss_scale * 2.0, self.loss_scale)))
        self.finite_run.copy_(torch.where(skipped.bool() | grown, 0.0, self.finite_run + 1))

    @torch.no_grad()
    def set_lr(self, lr: float) -> None:
        """In place, so a captured graph reads the new rate."""
        self.lr.fill_(lr)

    def state_tensors(self, prefix: str) -> dict[str, torch.Tensor]:
        tensors = {f"{prefix}.count": self.count, f"{prefix}.loss_scale": self.loss_scale,
                   f"{prefix}.finite_run": self.finite_run}
        for i, (mean, square) in enumerate(zip(self.exp_avg, self.exp_avg_sq, strict=True)):
            tensors[f"{prefix}.{i}.exp_avg"], tensors[f"{prefix}.{i}.exp_avg_sq"] = mean, square
        return tensors

    @torch.no_grad()
    def load_state(self, prefix: str, tensors: dict[str, torch.Tensor], scaler: dict[str, float] | None = None) -> None:
        """Copy a saved state in (in place, as set_lr). Checkpoints of format 1 kept torch.optim.Adam's
        per-parameter step and a GradScaler's `scaler` dict: both are read too. Raises KeyError when a
        tensor is missing."""
        for i, (mean, square) in enumerate(zip(self.exp_avg, self.exp_avg_sq, strict=True)):
            mean.copy_(tensors[f"{prefix}.{i}.exp_avg"])
            square.copy_(tensors[f"{prefix}.{i}.exp_avg_sq"])
        if f"{prefix}.count" in tensors:
            self.count.copy_(tensors[f"{prefix}.count"])
            self.loss_scale.copy_(tensors[f"{prefix}.loss_scale"])
            self.finite_run.copy_(tensors[f"{prefix}.finite_run"])
        else:
            scaler = scaler or {}
            self.count.copy_(tensors[f"{prefix}.0.step"])
            self.loss_scale.fill_(float(scaler.get("scale", self.loss_scale.item())))
            self.finite_run.fill_(float(scaler.get("_growth_tracker", 0)))
