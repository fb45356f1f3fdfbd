"""Run under torchrun by test_train.py: two training steps, then each rank saves its weights.

Usage: torchrun --nproc_per_node 2 ddp_worker.py OUT_DIR
"""

import sys
from pathlib import Path

import torch
import torch.distributed as dist

from kickgen.engine.corpus.synthetic import generate_songs
from kickgen.engine.model.cgae import TINY_CONFIG
from kickgen.engine.model.recipe import TrainConfig
from kickgen.engine.model.train import train

out = Path(sys.argv[1])
songs = [s.signals for s in generate_songs(6, seed=3)]
config = TrainConfig(epochs=1, batch_size=8, chunk_frames=512, crops_per_epoch=16, seed=5)  # 2 steps
state = train(songs, out_dir=out, model_config=TINY_CONFIG, train_config=config, device="cpu", progress=False)
torch.save(
    {"model": state.model.state_dict(), "critic": state.critic.state_dict()},
    out / f"rank{dist.get_rank()}.pt",
)
dist.destroy_process_group()
