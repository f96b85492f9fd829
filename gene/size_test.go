package gene

import "unsafe"

const sizeofValue = unsafe.Sizeof(Value{})
