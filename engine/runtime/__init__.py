"""Running a trained model without torch: the bundle's files (`bundle_files`), the bundle
on onnxruntime (`bundle`), style codes (`style`) and kicks from a code (`kicks`)."""
