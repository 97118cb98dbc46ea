/*
 * version.h - mlpd's version, as the ONNX export, GET /v2 and the
 * TensorFlow Serving metadata report it.
 */
#ifndef MLPD_SERVER_VERSION_H
#define MLPD_SERVER_VERSION_H

#define MLPD_VERSION "0.2.0"

#endif
