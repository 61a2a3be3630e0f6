//go:build windows

package store

import (
	"errors"
	"syscall"
)

// errSharingViolation is ERROR_SHARING_VIOLATION, which package syscall
// does not name.
const errSharingViolation syscall.Errno = 32

// lockFile opens path with no sharing: a second open fails with a sharing
// violation until the first handle is closed (or its process ends).
func lockFile(path string) (release func(), held bool, err error) {
	p, err := syscall.UTF16PtrFromString(path)
	if err != nil {
		return nil, false, err
	}
	h, err := syscall.CreateFile(p, syscall.GENERIC_READ|syscall.GENERIC_WRITE, 0, nil,
		syscall.OPEN_ALWAYS, syscall.FILE_ATTRIBUTE_NORMAL, 0)
	if err != nil {
		if errors.Is(err, errSharingViolation) {
			return nil, true, nil
		}
		return nil, false, err
	}
	return func() { syscall.CloseHandle(h) }, false, nil
}
