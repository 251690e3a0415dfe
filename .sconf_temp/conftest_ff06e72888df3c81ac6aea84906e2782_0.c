

#include "protobuf-c/protobuf-c.h"

int
main() {
  
return 0;
}
