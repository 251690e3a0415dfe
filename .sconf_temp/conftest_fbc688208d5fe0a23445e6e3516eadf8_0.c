

#include "msgpack.h"

int
main() {
  
return 0;
}
