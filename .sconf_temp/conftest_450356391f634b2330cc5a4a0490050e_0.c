

#include "json-c/json.h"

int
main() {
  
return 0;
}
