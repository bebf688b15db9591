"""cnnviz.train_config: a TrainConfig says which setting is out of range, one sentence each."""

import pytest

from cnnviz.train_config import OPTIMIZERS, SCHEDULES, TrainConfig


def test_the_defaults_are_valid():
    TrainConfig().check()
    for optimizer in OPTIMIZERS:
        for schedule in SCHEDULES:
            TrainConfig(optimizer=optimizer, schedule=schedule).check()


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (TrainConfig(model="vgg"), "unknown model 'vgg'"),
        (TrainConfig(dataset="CIFAR"), "unknown dataset 'CIFAR'"),
        (TrainConfig(optimizer="adagrad"), "unknown optimizer 'adagrad'"),
        (TrainConfig(schedule="cosine"), "unknown schedule 'cosine'"),
        (TrainConfig(epochs=51), "epochs must be between 1 and 50, got 51"),
        (TrainConfig(batch_size=5000), "batch size must be between 1 and 4096, got 5000"),
        (TrainConfig(lr=0.0), "learning rate must be above 0 and at most 10, got 0.0"),
        (TrainConfig(limit=-1), "cannot be negative, got -1"),
        (TrainConfig(device="tpu"), "device must be auto, cuda, mps or cpu"),
    ],
)
def test_each_bad_setting_has_its_own_sentence(config, message):
    with pytest.raises(ValueError, match=message):
        config.check()
