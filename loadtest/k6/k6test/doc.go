// Package k6test is an in-memory stand-in for the part of the Kubernetes
// API that a k6-operator run uses (k6.API), so the operator path is tested
// without an API server or client-go: a test creates it, plays the
// operator (sets the TestRun's status.stage, adds runner pods and their
// logs) and hands it to k6.OperatorRunner.
//
// It is safe for concurrent use, and it returns the API server's errors
// (apierrors.NewAlreadyExists, NewNotFound) where the real one would.
package k6test
