package reports

import (
	"context"
	"os"

	"github.com/headroom-dev/headroom/internal/atomicfile"
)

// WriteDir writes a rendered set of files to dir as one set (see
// atomicfile.WriteDir): built beside dir through an os.Root, so no file
// name can leave it, then swapped in whole; on an error or a cancelled ctx
// the old dir is untouched. Files headroom did not write there before
// (dir/.headroom-manifest lists those it did) are kept, also inside
// plots/ and patches/; headroom's own files of an earlier run that this
// set no longer has are removed.
func WriteDir(ctx context.Context, dir string, files []File) error {
	set := make([]atomicfile.DirFile, len(files))
	for i, f := range files {
		set[i] = atomicfile.DirFile{Path: f.Path, Data: f.Data, Mode: os.FileMode(f.Mode)}
	}
	return atomicfile.WriteDir(ctx, dir, set)
}
