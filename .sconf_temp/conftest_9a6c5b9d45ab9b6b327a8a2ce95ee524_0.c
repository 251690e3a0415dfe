

#include "archive.h"

int
main() {
  
return 0;
}
