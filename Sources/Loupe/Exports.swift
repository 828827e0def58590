// The Loupe library product: one import for apps.
@_exported import LoupeIR
@_exported import LoupeONNX
@_exported import LoupePasses
@_exported import LoupeReference
@_exported import LoupeRuntime
