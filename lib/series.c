/* series.c - CSV time-series reader (see series.h). */
#include "series.h"
