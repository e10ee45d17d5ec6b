package sqlite

import (
	"os"
	"syscall"
)

// freeBytes returns how many bytes this process could still write on the
// file system holding path (root may use the blocks reserved for it).
func freeBytes(path string) (uint64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, false
	}
	blocks := st.Bavail
	if os.Geteuid() == 0 {
		blocks = st.Bfree
	}
	return blocks * uint64(st.Bsize), true
}
