"""Stable Diffusion v1.x in Flax: KL-f8 autoencoder, denoising UNet, CLIP text.

Module and parameter names follow diffusers' layout (`down_blocks_0/resnets_1`
for `down_blocks.0.resnets.1`), so `jaxvision.weights.sd_v1` converts both the
diffusers folder and the original CompVis single file with one table.
"""
