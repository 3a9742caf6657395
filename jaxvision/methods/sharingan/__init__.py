"""SharinGAN: a shared-domain GAN for unsupervised depth and face normals."""
