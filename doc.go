// Package licmon is the root of the licmon module.
//
// cmd/licmon holds the main package of the licmon binary and internal/ holds
// all of its code in library form. The packages are internal so that nobody
// builds on them as an API: licmon is a command-line program, not a library.
// See docs/ARCHITECTURE.md for the packages and how data flows between them.
package licmon
