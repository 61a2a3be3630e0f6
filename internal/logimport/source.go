package logimport

import (
	"archive/zip"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// item is one file to read: on disk or a zip member.
type item struct {
	key  string // stable identity: path relative to the root, or zip!member
	base string // file name
	size int64
	open func() (io.ReadCloser, error)
	// sum computes the checksum that, with the size, decides whether the
	// file was imported already.
	sum func() (string, error)
	// sumAt computes the checksum the file had when it was size bytes
	// long (nil for a zip member): does it continue a file recorded then?
	sumAt func(size int64) (string, error)
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// sampleSize is how much of each end of a file the checksum reads. Rolled
// .log files never change and an active .txt only grows, so the size and
// the two ends identify a file without reading years of logs again on every
// incremental import.
const sampleSize = 8 << 10

func fileSum(p string, size int64) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := crc32.New(castagnoli)
	buf := make([]byte, min(size, sampleSize))
	if _, err := io.ReadFull(f, buf); err != nil {
		return "", err
	}
	h.Write(buf)
	if size > sampleSize {
		if _, err := f.ReadAt(buf[:min(size-sampleSize, sampleSize)], size-min(size-sampleSize, sampleSize)); err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		h.Write(buf[:min(size-sampleSize, sampleSize)])
	}
	return fmt.Sprintf("crc32c-ends:%08x", h.Sum32()), nil
}

// wanted reports whether a file name is one licmon reads.
func wanted(base string) bool {
	ext := strings.ToLower(path.Ext(base))
	return ext == ".txt" || ext == ".log" || ext == ".zip"
}

// collect lists the items under root (a folder, a .zip or a single file).
// Odd entries are reported through warn and skipped or read with care.
func collect(root string, warn func(file, text string), add func(item), keep func(io.Closer)) error {
	fi, err := os.Stat(root)
	if err != nil {
		return fmt.Errorf("logs import %s: %w (give a folder, a .zip or a log file)", root, err)
	}
	if !fi.IsDir() {
		return collectFile(root, filepath.Base(root), fi, warn, add, keep)
	}
	base := filepath.Base(filepath.Clean(root))
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			warn(p, "cannot read: "+err.Error())
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !wanted(d.Name()) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			warn(p, "symbolic link: skipped (import the folder it points to)")
			return nil
		}
		info, err := d.Info()
		if err != nil {
			warn(p, "cannot read: "+err.Error())
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			rel = p
		}
		return collectFile(p, base+"/"+filepath.ToSlash(rel), info, warn, add, keep)
	})
}

func collectFile(p, key string, fi fs.FileInfo, warn func(file, text string), add func(item), keep func(io.Closer)) error {
	if !fi.Mode().IsRegular() {
		warn(p, "not a regular file: skipped")
		return nil
	}
	if strings.EqualFold(filepath.Ext(p), ".zip") {
		return collectZip(p, key, warn, add, keep)
	}
	size := fi.Size()
	add(item{key: key, base: filepath.Base(p), size: size,
		open:  func() (io.ReadCloser, error) { return os.Open(p) },
		sum:   func() (string, error) { return fileSum(p, size) },
		sumAt: func(n int64) (string, error) { return fileSum(p, n) }})
	return nil
}

// collectZip lists the members of a zip. The zip stays open (keep) while
// the import runs; members are streamed, never extracted.
func collectZip(p, key string, warn func(file, text string), add func(item), keep func(io.Closer)) error {
	zr, err := zip.OpenReader(p)
	if err != nil {
		warn(p, "not a readable zip ("+err.Error()+"): skipped")
		return nil
	}
	keep(zr)
	for _, f := range zr.File {
		name := f.Name
		if f.FileInfo().IsDir() || !wanted(path.Base(strings.ReplaceAll(name, `\`, "/"))) {
			continue
		}
		clean, odd := safeName(name)
		if odd {
			warn(p+"!"+name, "odd path in the zip (absolute, drive letter or ..): read as "+clean+"; nothing is extracted")
		}
		if strings.EqualFold(path.Ext(clean), ".zip") {
			warn(p+"!"+name, "a zip inside the zip: skipped (extract it and import the folder)")
			continue
		}
		f := f
		add(item{key: key + "!" + clean, base: path.Base(clean), size: int64(f.UncompressedSize64),
			open: func() (io.ReadCloser, error) { return f.Open() },
			sum:  func() (string, error) { return fmt.Sprintf("zip-crc32:%08x", f.CRC32), nil }})
	}
	return nil
}

// safeName turns a zip member name into a clean relative slash path; odd
// is true when the name was absolute, had a drive letter or climbed with ..
func safeName(name string) (clean string, odd bool) {
	n := strings.ReplaceAll(name, `\`, "/")
	if len(n) >= 2 && n[1] == ':' {
		n, odd = n[2:], true
	}
	if strings.HasPrefix(n, "/") {
		odd = true
	}
	var parts []string
	for _, s := range strings.Split(n, "/") {
		switch s {
		case "", ".":
		case "..":
			odd = true
		default:
			parts = append(parts, s)
		}
	}
	return strings.Join(parts, "/"), odd
}
