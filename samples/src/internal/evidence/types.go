package evidence

import "reflect"

// TypeFact is one planted heap object as the program sees it: where it is,
// its Go type as reflect prints it (reflect.Type.String()) and the global
// variable that holds it. These are what a tool reading the program's binary
// should name the object.
type TypeFact struct {
	Addr string `json:"addr"`
	// Type of the value stored at Addr: "main.Session" for a *Session's
	// object, "[]uint8" for a slice's backing array, "string" for string
	// bytes, "map[int]*main.Entry" for a map's header (a runtime hmap).
	Type string `json:"type"`
	// Array is the backing array's own type, "[1048576]uint8", for slices
	// and strings (from the capacity, or the string's length).
	Array  string  `json:"array,omitempty"`
	What   string  `json:"what"` // "object", "backing array", "string data", "map header"
	Size   uintptr `json:"size"` // bytes of the value (cap*elem size for arrays)
	Global string  `json:"global,omitempty"`
	Via    string  `json:"via,omitempty"` // how the global reaches it, if not directly
}

// Object describes the object p points to (p is a non-nil pointer).
func Object(p interface{}, global, via string) TypeFact {
	v := reflect.ValueOf(p)
	t := v.Type().Elem()
	return TypeFact{Addr: Hex(v.Pointer()), Type: t.String(), What: "object", Size: t.Size(), Global: global, Via: via}
}

// Backing describes the backing array of slice s (len or cap > 0).
func Backing(s interface{}, global, via string) TypeFact {
	v := reflect.ValueOf(s)
	t := v.Type()
	return TypeFact{Addr: Hex(v.Pointer()), Type: t.String(), Array: reflect.ArrayOf(v.Cap(), t.Elem()).String(),
		What: "backing array", Size: uintptr(v.Cap()) * t.Elem().Size(), Global: global, Via: via}
}

// StringData describes the bytes of a string whose data starts at data and
// that is n bytes long (the whole allocation, not a substring of it).
func StringData(data uintptr, n int, global, via string) TypeFact {
	return TypeFact{Addr: Hex(data), Type: "string", Array: reflect.ArrayOf(n, reflect.TypeOf(byte(0))).String(),
		What: "string data", Size: uintptr(n), Global: global, Via: via}
}

// MapHeader describes the runtime hmap a map value m points to.
func MapHeader(m interface{}, global string) TypeFact {
	v := reflect.ValueOf(m)
	return TypeFact{Addr: Hex(v.Pointer()), Type: v.Type().String(), What: "map header", Global: global,
		Size: 48} // runtime.hmap on 64-bit, Go 1.19 to 1.23
}

// GlobalVar is one package-level variable: its address in .data/.bss, its
// size and its type, as the binary's symbol table and DWARF should say.
type GlobalVar struct {
	Addr string  `json:"addr"`
	Size uintptr `json:"size"`
	Type string  `json:"type"`
}

// Globals maps "main.name" to a pointer to that variable and returns both
// the name -> address map (facts.json "globals") and the name -> GlobalVar
// map (facts.json "global_vars").
func Globals(vars map[string]interface{}) (map[string]string, map[string]GlobalVar) {
	addrs := map[string]string{}
	full := map[string]GlobalVar{}
	for n, p := range vars {
		v := reflect.ValueOf(p)
		t := v.Type().Elem()
		addrs[n] = Hex(v.Pointer())
		full[n] = GlobalVar{Addr: addrs[n], Size: t.Size(), Type: t.String()}
	}
	return addrs, full
}
