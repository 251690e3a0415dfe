

#include "stdio.h"
#include "readline/readline.h"

int
main() {
  
return 0;
}
