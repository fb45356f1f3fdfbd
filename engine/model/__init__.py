"""The CGAE (`cgae`), its losses, augmentation and training (`recipe`, `crops`,
`checkpoint`, `process`, `train`), weights read back from a bundle, and the tiny demo.
The only subpackage that imports torch."""
