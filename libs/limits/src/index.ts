// Public surface of the limits library (filled in by the limits work).
