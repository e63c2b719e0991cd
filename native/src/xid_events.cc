#include "xid_events.h"

#include <chrono>

namespace proofwatch::nvml {

nvmlReturn_t XidWatcher::CheckFunctions(const Api* api, std::string* message) {
  if (api == nullptr) {
    *message = "NVML is not initialized";
    return NVML_ERROR_UNINITIALIZED;
  }
  if (api->eventSetCreate == nullptr || api->deviceRegisterEvents == nullptr ||
      api->eventSetWait == nullptr || api->eventSetFree == nullptr ||
      api->deviceGetCount == nullptr || api->deviceGetHandleByIndex == nullptr) {
    *message = "NVML lacks the event-set functions";
    return NVML_ERROR_FUNCTION_NOT_FOUND;
  }
  return NVML_SUCCESS;
}

nvmlReturn_t XidWatcher::Register(const Api& api, XidRegistration* out, std::string* message) {
  nvmlReturn_t rc = CheckFunctions(&api, message);
  if (rc != NVML_SUCCESS) return rc;
  unsigned int count = 0;
  rc = api.deviceGetCount(&count);
  if (rc != NVML_SUCCESS) {
    *message = "nvmlDeviceGetCount failed";
    return rc;
  }
  nvmlEventSet_t set = nullptr;
  rc = api.eventSetCreate(&set);
  if (rc != NVML_SUCCESS) {
    *message = "nvmlEventSetCreate failed";
    return rc;
  }
  std::vector<XidDevice> devices;
  for (unsigned int i = 0; i < count; ++i) {
    nvmlDevice_t dev = nullptr;
    // A lost or unsupported GPU must not cost the others their events.
    if (api.deviceGetHandleByIndex(i, &dev) != NVML_SUCCESS) continue;
    if (api.deviceRegisterEvents(dev, nvmlEventTypeXidCriticalError, set) != NVML_SUCCESS) {
      continue;
    }
    XidDevice d{dev, i, {}};
    if (api.deviceGetUUID != nullptr) {
      char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE] = {};
      if (api.deviceGetUUID(dev, uuid, sizeof(uuid)) == NVML_SUCCESS) d.uuid = uuid;
    }
    devices.push_back(std::move(d));
  }
  out->set = set;
  out->devices = std::move(devices);
  return NVML_SUCCESS;
}

void XidWatcher::Free(const Api& api, XidRegistration* registration) {
  if (registration->set != nullptr && api.eventSetFree != nullptr) {
    api.eventSetFree(registration->set);
  }
  *registration = XidRegistration{};
}

nvmlReturn_t XidWatcher::Start(ApiPtr api, XidRegistration* registration, Callback onEvent,
                               std::string* message) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (thread_.joinable()) {
    *message = "XID events are already being watched";
    return NVML_ERROR_ALREADY_INITIALIZED;
  }
  const nvmlReturn_t rc = CheckFunctions(api.get(), message);
  if (rc != NVML_SUCCESS) return rc;
  api_ = std::move(api);
  set_ = registration->set;
  devices_ = std::move(registration->devices);
  *registration = XidRegistration{};
  onEvent_ = std::move(onEvent);
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
  return NVML_SUCCESS;
}

void XidWatcher::Stop() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!thread_.joinable()) return;
  stop_ = true;
  thread_.join();
  api_->eventSetFree(set_);
  set_ = nullptr;
  api_.reset();
  onEvent_ = nullptr;
}

bool XidWatcher::Running() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return thread_.joinable();
}

std::vector<unsigned int> XidWatcher::Devices() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<unsigned int> out;
  for (const auto& d : devices_) out.push_back(d.index);
  return out;
}

void XidWatcher::Run() {
  while (!stop_) {
    nvmlEventData_t data{};
    const nvmlReturn_t rc = api_->eventSetWait(set_, &data, kWaitMs);
    if (rc == NVML_ERROR_TIMEOUT) continue;
    if (rc != NVML_SUCCESS) {
      // A persistent failure (say a GPU that fell off the bus) would otherwise spin the CPU.
      std::this_thread::sleep_for(std::chrono::milliseconds(kWaitMs));
      continue;
    }
    if ((data.eventType & nvmlEventTypeXidCriticalError) == 0) continue;
    XidEvent event;
    event.xid = data.eventData;
    bool known = false;
    for (const auto& d : devices_) {
      if (d.handle == data.device) {
        event.index = d.index;
        event.uuid = d.uuid;
        known = true;
        break;
      }
    }
    if (!known && api_->deviceGetIndex != nullptr) {
      api_->deviceGetIndex(data.device, &event.index);
    }
    onEvent_(event);
  }
}

}  // namespace proofwatch::nvml
