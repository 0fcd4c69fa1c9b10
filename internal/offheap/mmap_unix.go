//go:build unix

package offheap

import "syscall"

func mapAnon(n int) ([]byte, error) {
	return syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
}

// unmap cannot fail for a whole mapping made by mapAnon.
func unmap(b []byte) { _ = syscall.Munmap(b) }
