// Package layering holds no code: its test keeps the pure packages pure
// (no HTTP, SQL or store beneath them), the layering docs/ARCHITECTURE.md
// describes.
package layering
