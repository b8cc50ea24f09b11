package scenarios

import (
	"fmt"

	"github.com/headroom-dev/headroom/internal/strictyaml"
)

// FieldError is one problem with one field of a plan. Path is the field path
// in the plan ("services[noa-mcp].hpa.maxReplicas"); File, Line and Column
// locate it in the source when the plan was decoded from a file (Line 0 means
// unknown). Msg says what is wrong and, where it can, what is allowed.
//
// It is the decoder's error type (internal/strictyaml): decoding and
// validation report problems the same way.
type FieldError = strictyaml.FieldError

// FieldErrors is a list of problems found in one plan, reported together so a
// user can fix them in one pass.
type FieldErrors = strictyaml.FieldErrors

// fieldErrorf is shorthand for a FieldError without a position; the decoder's
// Index fills in the position from the path.
func fieldErrorf(path, format string, args ...any) *FieldError {
	return &FieldError{Path: path, Msg: fmt.Sprintf(format, args...)}
}
