// Package secret keeps key material where package fmt cannot print it.
//
// fmt hands a value to its own Format, String or GoString method, except
// when it reports a bad verb (%p on a value that is not a pointer, %w
// outside fmt.Errorf, or any verb a pointer does not take, such as %s on a
// pointer in an unexported field) and when the value sits in an unexported
// struct field. Then it walks the value by reflection and prints its fields.
// It follows at most one pointer, and only to an array, slice, struct or
// map; a pointer to a pointer is always printed as an address. So a type
// that holds its material through a [Ref] never shows it, under any verb,
// wherever it is nested.
package secret

// Ref refers to material of type T through a pointer to a pointer. Copies of
// a Ref refer to the same material. The zero Ref refers to none; [Ref.Get]
// then returns zero material.
type Ref[T any] struct {
	p **T
}

// New allocates a K, material of type T and the pointer between them in one
// allocation, and calls attach to store the [Ref] to the material in the K.
// It returns the K and the material, for the caller to fill in.
func New[K, T any](attach func(*K, Ref[T])) (*K, *T) {
	all := new(struct {
		k   K
		ref *T
		mat T
	})
	all.ref = &all.mat
	attach(&all.k, Ref[T]{&all.ref})
	return &all.k, &all.mat
}

// Get returns the material r refers to, or fresh zero material for the zero
// Ref (so that a zero key behaves as an all-zero key rather than
// dereferencing nil).
func (r Ref[T]) Get() *T {
	if r.p == nil {
		return new(T)
	}
	return *r.p
}
