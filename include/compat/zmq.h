/* zmq.h for programs written against libzmq: put include/compat first on the include
 * path and link zaio, and `#include <zmq.h>` gets zaio's implementation of the same
 * API (see zaio_zmq.h). */
#include "zaio_zmq.h"
