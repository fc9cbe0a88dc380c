"""Linear probe: multinomial logistic regression on frozen embeddings, in torch.

The objective is the one of the paper's probe (scikit-learn's LogisticRegression, C = 1, L-BFGS,
100 iterations): 0.5 * ||W||^2 + C * sum_i cross_entropy(W x_i + b, y_i), the bias unpenalised.
It is strictly convex, so the minimiser is unique and any exact solver agrees with it. Solved in
float64 with L-BFGS and a strong-Wolfe line search on the objective divided by N (the same
minimiser, better scaled).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class LinearProbe:
    weight: np.ndarray  # [C, E]
    bias: np.ndarray  # [C]
    trained: np.ndarray  # [C] bool: the class had training clips (else it is never predicted)
    iterations: int
    loss: float  # the objective at the solution, divided by N

    def scores(self, features: np.ndarray) -> np.ndarray:
        """Logits [Q, C]; classes without training clips score -inf."""
        logits = np.asarray(features, np.float64) @ self.weight.T + self.bias
        logits[:, ~self.trained] = -np.inf
        return logits


def probe_objective(
    weight: torch.Tensor, bias: torch.Tensor, x: torch.Tensor, y: torch.Tensor, c: float
) -> torch.Tensor:
    """(0.5 * ||W||^2 + C * sum of cross entropies) / N."""
    data = F.cross_entropy(x @ weight.T + bias, y, reduction="sum")
    return (0.5 * weight.pow(2).sum() + c * data) / len(y)


def fit_linear_probe(
    features: np.ndarray, labels: np.ndarray, num_classes: int, c: float = 1.0, max_iter: int = 100
) -> LinearProbe:
    """Fit on features [N, E] with labels [N] in 0..num_classes-1.

    Only the classes present in `labels` take part in the softmax: a class without training clips
    would otherwise be pushed to -infinity by the data term, which is what `trained` says anyway.
    """
    if len(features) == 0:
        raise ValueError("the linear probe needs at least one training clip")
    if c <= 0:
        raise ValueError(f"the inverse regularisation strength C must be positive, got {c}")
    present = np.unique(labels)
    # Labels renumbered to the present classes, then the weights are put back in their columns.
    local = np.searchsorted(present, labels)
    x = torch.as_tensor(np.asarray(features), dtype=torch.float64)
    y = torch.as_tensor(local, dtype=torch.long)
    weight = torch.zeros(len(present), x.shape[1], dtype=torch.float64, requires_grad=True)
    bias = torch.zeros(len(present), dtype=torch.float64, requires_grad=True)
    solver = torch.optim.LBFGS(
        [weight, bias],
        lr=1.0,
        max_iter=max_iter,
        history_size=20,
        tolerance_grad=1e-9,
        tolerance_change=1e-12,
        line_search_fn="strong_wolfe",
    )

    def closure() -> torch.Tensor:
        solver.zero_grad()
        loss = probe_objective(weight, bias, x, y, c)
        loss.backward()
        return loss

    solver.step(closure)
    full_w = np.zeros((num_classes, x.shape[1]))
    full_b = np.zeros(num_classes)
    full_w[present] = weight.detach().numpy()
    full_b[present] = bias.detach().numpy()
    trained = np.zeros(num_classes, bool)
    trained[present] = True
    with torch.no_grad():
        final = float(probe_objective(weight, bias, x, y, c))
    iterations = int(solver.state[solver._params[0]].get("n_iter", 0))
    return LinearProbe(full_w, full_b, trained, iterations, final)
