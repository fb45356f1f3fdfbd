"""Training state and its checkpoint file: config, weights, optimizers and history,
written atomically and read back without unpickling arbitrary objects."""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass, field, replace
from pathlib import Path

import torch

from kickgen.engine.errors import CheckpointError
from kickgen.engine.model.cgae import CGAE, Critic, ModelConfig
from kickgen.engine.model.recipe import TrainConfig
from kickgen.engine.util.atomic import atomic_path

CHECKPOINT_NAME = "checkpoint.pt"
BEST_CHECKPOINT_NAME = "best.pt"  # the epoch with the lowest reconstruction loss so far
CHECKPOINT_FORMAT = 1


@dataclass
class TrainState:
    """What a checkpoint restores: weights, optimizers, epochs done, per-epoch history."""

    model: CGAE
    critic: Critic
    optimizer: torch.optim.Optimizer
    critic_optimizer: torch.optim.Optimizer
    epochs_done: int = 0
    history: list[dict] = field(default_factory=list)
    training: dict = field(default_factory=dict)  # what the model was trained on (for bundles)


def new_state(model_config: ModelConfig, train_config: TrainConfig, device: torch.device) -> TrainState:
    """A fresh CGAE and critic (seeded by `train_config.seed`) with their Adam optimizers."""
    torch.manual_seed(train_config.seed)
    model, critic = CGAE(model_config).to(device), Critic(model_config).to(device)
    return TrainState(
        model,
        critic,
        torch.optim.Adam(model.parameters(), lr=train_config.learning_rate),
        torch.optim.Adam(critic.parameters(), lr=train_config.critic_learning_rate, betas=(0.5, 0.9)),
    )


def save_checkpoint(path: Path, state: TrainState, train_config: TrainConfig) -> None:
    """Write config, weights, optimizers and history atomically (torch.save)."""
    payload = {
        "format": CHECKPOINT_FORMAT,
        "model_config": json.dumps(state.model.config.to_json()),
        "train_config": json.dumps(train_config.to_json()),
        "epochs_done": state.epochs_done,
        "history": json.dumps(state.history),
        "training": json.dumps(state.training),
        "model": state.model.state_dict(),
        "critic": state.critic.state_dict(),
        "optimizer": state.optimizer.state_dict(),
        "critic_optimizer": state.critic_optimizer.state_dict(),
    }
    with atomic_path(path, force=True) as tmp:
        torch.save(payload, tmp)


def read_checkpoint(path: str | Path, *, map_location: str | torch.device = "cpu") -> dict:
    """Load a checkpoint without unpickling arbitrary objects (weights_only=True)."""
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(path, "no such file") from None
    except pickle.UnpicklingError:
        raise CheckpointError(path, "not a kickgen checkpoint (it holds Python objects, which are never unpickled)") from None
    except (RuntimeError, OSError, EOFError, ValueError) as exc:
        raise CheckpointError(path, f"not a kickgen checkpoint ({exc})") from None
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(path, "not a kickgen checkpoint (unknown format)")
    return payload


def model_from_payload(payload: dict) -> CGAE:
    """The CGAE of a loaded checkpoint, in eval mode."""
    model = CGAE(ModelConfig.from_json(json.loads(payload["model_config"])))
    model.load_state_dict(payload["model"])
    return model.eval()


def load_model(path: str | Path) -> CGAE:
    """The trained CGAE of a checkpoint, in eval mode on the CPU."""
    return model_from_payload(read_checkpoint(path))


def restore_state(path: Path, requested: TrainConfig, device: torch.device) -> tuple[TrainState, TrainConfig]:
    """A run's state and recipe from its checkpoint. The recipe is the checkpoint's own:
    only `epochs` and `time_limit_s` come from `requested`, so a resumed run continues
    exactly as it started."""
    payload = read_checkpoint(path, map_location=device)
    try:
        config = TrainConfig.from_json(json.loads(payload["train_config"]))
        config = replace(config, epochs=requested.epochs, time_limit_s=requested.time_limit_s)
        state = new_state(ModelConfig.from_json(json.loads(payload["model_config"])), config, device)
        state.model.load_state_dict(payload["model"])
        state.critic.load_state_dict(payload["critic"])
        state.optimizer.load_state_dict(payload["optimizer"])
        state.critic_optimizer.load_state_dict(payload["critic_optimizer"])
        state.epochs_done = int(payload["epochs_done"])
        state.history = json.loads(payload["history"])
        state.training = json.loads(payload.get("training", "{}"))
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CheckpointError(path, f"cannot be resumed ({exc})") from None
    return state, config
