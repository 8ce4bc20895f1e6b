"""Train one cluster's adapter with trl's SFTTrainer: LoRA, QLoRA (4-bit NF4) or full fine-tuning.

The examples arrive tokenised with answer-only labels (`slmconvert.training.examples`), so trl
does no tokenising of its own. Checkpoints go to ``work/checkpoints`` every ``save_steps``; a
rerun with the same work directory resumes from the last one.
"""

from __future__ import annotations

import os
import resource
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from slmconvert.core.errors import ConfigError, StageError
from slmconvert.training import distributed
from slmconvert.training.examples import Encoded
from slmconvert.training.models import ModelRef, device, load_model, load_tokenizer


@dataclass(frozen=True)
class TrainSettings:
    """The hyperparameters training reads; the finetune stage fills it from its settings of the
    same names."""

    lora_r: int  # LoRA rank
    lora_alpha: int  # LoRA alpha (scale = alpha / r)
    lora_dropout: float
    target_modules: list[str] | str  # the modules LoRA adapts (peft's target_modules)
    epochs: float  # passes over the examples
    max_steps: int  # stop after this many steps (0 = use epochs)
    batch_size: int  # examples per optimiser step
    learning_rate: float
    max_seq_len: int  # tokens per example at most
    save_steps: int  # checkpoint every this many steps
    threads: int  # CPU threads for torch (0 = all cores)
    seed: int


@dataclass
class TrainResult:
    """What one cluster's training did, for the manifest and training.json."""

    method: str
    steps: int
    epochs: float
    loss: list[list[float]] = field(default_factory=list)
    tokens: int = 0
    tokens_per_s: float = 0.0
    peak_memory_mb: float = 0.0
    wall_s: float = 0.0
    resumed_from_step: int = 0
    processes: int = 1  # data-parallel processes that trained it together

    @property
    def final_loss(self) -> float | None:
        tail = [v for _, v in self.loss[-5:]]
        return round(sum(tail) / len(tail), 4) if tail else None


def cuda_available() -> bool:
    """Whether torch sees a CUDA device."""
    return device() == "cuda"


def pick_method(requested: str) -> str:
    """The training method to use: ``auto`` is QLoRA on CUDA and LoRA on CPU."""
    if requested == "auto":
        return "qlora" if cuda_available() else "lora"
    if requested == "qlora" and not cuda_available():
        raise ConfigError(
            "--method qlora needs a CUDA GPU and none was found",
            "use --method lora (or auto) on this machine",
        )
    return requested


def _wrap(model, method: str, config: TrainSettings):
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training

    if method == "full":
        return model
    if method == "qlora":
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True)
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.target_modules,
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, lora)


def last_checkpoint(work: Path) -> Path | None:
    """The newest ``checkpoint-N`` under ``work/checkpoints``, if any."""
    found = sorted(
        (p for p in (work / "checkpoints").glob("checkpoint-*") if p.name[11:].isdigit()),
        key=lambda p: int(p.name[11:]),
    )
    return found[-1] if found else None


def _peak_mb(cuda: bool) -> float:
    if cuda:
        import torch

        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _callback(result: TrainResult, progress):
    from transformers import TrainerCallback

    class Recorder(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            if progress:
                progress(state.global_step, state.max_steps, None)

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                result.loss.append([state.global_step, round(float(logs["loss"]), 4)])

        def on_step_end(self, args, state, control, **kwargs):
            if progress:
                last = result.loss[-1][1] if result.loss else None
                progress(state.global_step, state.max_steps, last)

    return Recorder()


def train(
    ref: ModelRef,
    examples: list[Encoded],
    config: TrainSettings,
    method: str,
    work: Path,
    out_dir: Path,
    progress=None,
    tokenizer=None,
) -> TrainResult:
    """Fine-tune ``ref`` on ``examples`` and save the adapter (or model) and tokenizer to ``out_dir``.

    ``progress(step, total, loss)`` is called as training goes; ``tokenizer`` is the one the
    examples were encoded with (loaded from ``ref`` when not given).
    """
    if not examples:
        raise StageError(f"model {ref.name}: no training examples left")
    cuda = method == "qlora" or cuda_available()
    model, tokenizer = _load(ref, config, method, cuda, tokenizer)
    args = _arguments(config, method, cuda, len(examples), work)
    result = TrainResult(method=method, steps=0, epochs=0.0)
    resume = last_checkpoint(work)
    trainer = _trainer(model, tokenizer, examples, args, _callback(result, progress))
    _fit(trainer, result, resume, cuda)
    if distributed.is_main():  # data parallel: every process holds the same weights
        _save(trainer, tokenizer, work, out_dir)
    return result


def _load(ref: ModelRef, config: TrainSettings, method: str, cuda: bool, tokenizer):
    """``(model, tokenizer)``: torch seeded and threaded, the model loaded (4-bit for QLoRA)
    and wrapped for ``method``."""
    import torch

    torch.set_num_threads(config.threads or os.cpu_count() or 1)
    torch.manual_seed(config.seed)
    tokenizer = tokenizer or load_tokenizer(ref)
    model = load_model(ref, quantize_4bit=method == "qlora", on="cuda" if cuda else "cpu")
    return _wrap(model, method, config), tokenizer


def _arguments(config: TrainSettings, method: str, cuda: bool, examples: int, work: Path):
    """trl's ``SFTConfig`` for ``examples`` examples, checkpoints under ``work/checkpoints``."""
    import torch
    from trl import SFTConfig

    return SFTConfig(
        output_dir=str(work / "checkpoints"),
        # on CPU one example per forward pass beats a padded batch (padding turns off the
        # causal fast path of SDPA attention; bench/results/tuning.md); the step is the same
        per_device_train_batch_size=min(config.batch_size, examples) if cuda else 1,
        gradient_accumulation_steps=1 if cuda else min(config.batch_size, examples),
        num_train_epochs=config.epochs,
        max_steps=config.max_steps or -1,
        learning_rate=config.learning_rate,
        lr_scheduler_type="cosine",
        warmup_steps=0.05,
        weight_decay=0.0,
        max_grad_norm=1.0,
        logging_steps=1,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=1,
        report_to="none",
        disable_tqdm=True,
        seed=config.seed,
        data_seed=config.seed,
        max_length=config.max_seq_len,
        bf16=cuda and torch.cuda.is_bf16_supported(),
        fp16=cuda and not torch.cuda.is_bf16_supported(),  # older GPUs: fp16 mixed precision
        use_cpu=not cuda,
        gradient_checkpointing=method == "qlora",
        optim="paged_adamw_8bit" if method == "qlora" else "adamw_torch",
        include_num_input_tokens_seen="non_padding",
        dataloader_num_workers=0,
    )


def _trainer(model, tokenizer, examples: list[Encoded], args, callback):
    """trl's ``SFTTrainer`` on the tokenised examples, reporting through ``callback`` only."""
    from datasets import Dataset
    from transformers.trainer_callback import PrinterCallback
    from trl import SFTTrainer

    data = Dataset.from_dict(
        {"input_ids": [e.input_ids for e in examples], "labels": [e.labels for e in examples]}
    )
    trainer = SFTTrainer(
        model=model,
        args=args,
        train_dataset=data,
        processing_class=tokenizer,
        callbacks=[callback],
    )
    trainer.remove_callback(PrinterCallback)  # it prints every log dict; progress is ours
    return trainer


def _fit(trainer, result: TrainResult, resume: Path | None, cuda: bool) -> None:
    """Train (from ``resume`` when given) and fill ``result`` with what it took."""
    import torch

    if cuda:
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    result.wall_s = round(time.perf_counter() - started, 2)
    state = trainer.state
    result.steps = state.global_step
    result.epochs = round(float(state.epoch or 0.0), 3)
    result.resumed_from_step = int(resume.name[11:]) if resume else 0
    result.tokens = int(state.num_input_tokens_seen or 0)
    trained_steps = max(result.steps - result.resumed_from_step, 1)
    seen = result.tokens * trained_steps / max(result.steps, 1)
    result.tokens_per_s = round(seen / result.wall_s, 1) if result.wall_s else 0.0
    result.peak_memory_mb = round(_peak_mb(cuda), 1)
    result.processes = int(trainer.args.world_size)


def _save(trainer, tokenizer, work: Path, out_dir: Path) -> None:
    """The trained adapter (or model) and tokenizer to ``out_dir``; the checkpoints go."""
    out_dir.mkdir(parents=True, exist_ok=True)
    trainer.model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    shutil.rmtree(work / "checkpoints", ignore_errors=True)
