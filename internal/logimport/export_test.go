package logimport

// FileSum is fileSum, for the tests of stores written before streams.
var FileSum = fileSum
