

#include "luajit.h"

int
main() {
  
return 0;
}
